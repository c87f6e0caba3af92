import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Where the engine stands: loading progress, backend and device, context use;
// and a variant being made in the background.
Rectangle {
    implicitHeight: 28
    color: Theme.sidebar

    Rectangle {
        width: parent.width
        height: 1
        color: Theme.border
    }
    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 16
        anchors.rightMargin: 16
        spacing: 14

        Rectangle {
            width: 8
            height: 8
            radius: 4
            color: Engine.lastError.length > 0 ? Theme.danger
                 : Engine.loading || Engine.busy ? "#e0a526"
                 : Engine.residentVariantId > 0 ? "#3aa55d" : Theme.mutedText
        }
        Label {
            objectName: "engineStatus"
            color: Theme.mutedText
            font.pixelSize: 12
            text: Engine.loading ? qsTr("Loading %1…").arg(Engine.loadingLabel)
                : Engine.lastError.length > 0 ? Engine.lastError
                : Engine.residentVariantId > 0 ? (Engine.busy ? qsTr("Generating") : qsTr("Ready"))
                : qsTr("No model loaded")
            elide: Text.ElideRight
            // Gives way (elided) rather than pushing the bar off the window's
            // edge; rounded up, as the layout places it on whole pixels.
            Layout.fillWidth: true
            Layout.maximumWidth: Math.min(Math.ceil(implicitWidth), 420)
        }
        ProgressBar {
            visible: Engine.loading
            from: 0
            to: 1
            value: Engine.loadProgress
            Layout.preferredWidth: 140
        }
        IconButton {
            visible: Engine.loading
            iconName: "close"
            tip: qsTr("Cancel loading")
            implicitWidth: 22
            implicitHeight: 22
            padding: 3
            onClicked: Engine.cancelLoad()
        }
        Label {
            objectName: "builderStatus"
            visible: Builder.running
            color: Theme.mutedText
            font.pixelSize: 12
            text: qsTr("Making %1: %2 %3%").arg(Builder.label).arg(Builder.phase.toLowerCase())
                  .arg(Math.round(Builder.progress * 100))
            elide: Text.ElideRight
            Layout.fillWidth: true
            Layout.maximumWidth: Math.min(Math.ceil(implicitWidth), 440)
        }
        ProgressBar {
            visible: Builder.running
            from: 0
            to: 1
            value: Builder.progress
            Layout.preferredWidth: 120
        }
        IconButton {
            objectName: "statusCancelBuild"
            visible: Builder.running
            iconName: "close"
            tip: qsTr("Stop making this variant (nothing is left behind)")
            implicitWidth: 22
            implicitHeight: 22
            padding: 3
            onClicked: Builder.cancel()
        }
        Item { Layout.fillWidth: true }
        Label {
            objectName: "apiStatus"
            visible: ApiServer.running
            color: Theme.mutedText
            font.pixelSize: 12
            text: ApiServer.busy ? qsTr("API %1 · answering, %2 waiting").arg(ApiServer.url).arg(ApiServer.waiting)
                                 : qsTr("API %1").arg(ApiServer.url)
        }
        Label {
            objectName: "backendStatus"
            // On the CPU, say why: a person expecting their GPU to work wants to know.
            readonly property string cpuWhy: AppSettings.device === "cpu" ? qsTr("chosen in Settings") : GpuNotice.cpuReason
            visible: Engine.backend.length > 0
            color: Theme.mutedText
            font.pixelSize: 12
            text: Engine.backend.startsWith("CPU") && cpuWhy.length > 0 ? qsTr("%1 (%2)").arg(Engine.backend).arg(cpuWhy)
                                                                        : Engine.backend
        }
        Label {
            objectName: "contextUse"
            visible: Engine.contextLength > 0
            color: Theme.mutedText
            font.pixelSize: 12
            // The open conversation's, not whichever the engine last read.
            text: (Chat.contextUsed >= 0 ? qsTr("Context %1 / %2 tokens").arg(Chat.contextUsed).arg(Engine.contextLength)
                                         : qsTr("Context %1 tokens").arg(Engine.contextLength))
                  + (Engine.contextWarning.length > 0 ? qsTr(" (reduced to fit memory)") : "")
            readonly property string reducedBecause: Engine.contextWarning
            ToolTip.visible: reducedBecause.length > 0 && contextHover.hovered
            ToolTip.text: reducedBecause
            HoverHandler { id: contextHover }
        }
    }
}
