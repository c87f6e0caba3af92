import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// A strip under the header telling what happened before this start (a model
// not opened because it stopped Nibble last time, a damaged chat history
// moved aside); closed with its button.
Rectangle {
    objectName: "startupNotice"
    visible: StartupNotice.text.length > 0
    implicitHeight: visible ? noticeRow.implicitHeight + 16 : 0
    color: Theme.selection

    RowLayout {
        id: noticeRow
        anchors.fill: parent
        anchors.leftMargin: 20
        anchors.rightMargin: 12
        spacing: 12
        Label {
            objectName: "startupNoticeText"
            Layout.fillWidth: true
            text: StartupNotice.text
            color: Theme.text
            wrapMode: Text.Wrap
        }
        Button {
            objectName: "startupNoticeDismiss"
            text: qsTr("Got it")
            onClicked: StartupNotice.dismiss()
        }
    }
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
}
