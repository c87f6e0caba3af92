import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Where the engine stands: loading progress, backend and device, context use;
// and a variant being made in the background.
Rectangle {
    implicitHeight: 28
    color: theme.sidebar

    Rectangle {
        width: parent.width
        height: 1
        color: theme.border
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
            color: engine.lastError.length > 0 ? theme.danger
                 : engine.loading || engine.busy ? "#e0a526"
                 : engine.residentVariantId > 0 ? "#3aa55d" : theme.mutedText
        }
        Label {
            objectName: "engineStatus"
            color: theme.mutedText
            font.pixelSize: 12
            text: engine.loading ? qsTr("Loading %1…").arg(engine.loadingLabel)
                : engine.lastError.length > 0 ? engine.lastError
                : engine.residentVariantId > 0 ? (engine.busy ? qsTr("Generating") : qsTr("Ready"))
                : qsTr("No model loaded")
            elide: Text.ElideRight
            // Gives way (elided) rather than pushing the bar off the window's
            // edge; rounded up, as the layout places it on whole pixels.
            Layout.fillWidth: true
            Layout.maximumWidth: Math.min(Math.ceil(implicitWidth), 420)
        }
        ProgressBar {
            visible: engine.loading
            from: 0
            to: 1
            value: engine.loadProgress
            Layout.preferredWidth: 140
        }
        IconButton {
            visible: engine.loading
            iconName: "close"
            tip: qsTr("Cancel loading")
            implicitWidth: 22
            implicitHeight: 22
            padding: 3
            onClicked: engine.cancelLoad()
        }
        Label {
            objectName: "builderStatus"
            visible: builder.running
            color: theme.mutedText
            font.pixelSize: 12
            text: qsTr("Making %1: %2 %3%").arg(builder.label).arg(builder.phase.toLowerCase())
                  .arg(Math.round(builder.progress * 100))
            elide: Text.ElideRight
            Layout.fillWidth: true
            Layout.maximumWidth: Math.min(Math.ceil(implicitWidth), 440)
        }
        ProgressBar {
            visible: builder.running
            from: 0
            to: 1
            value: builder.progress
            Layout.preferredWidth: 120
        }
        IconButton {
            objectName: "statusCancelBuild"
            visible: builder.running
            iconName: "close"
            tip: qsTr("Stop making this variant (nothing is left behind)")
            implicitWidth: 22
            implicitHeight: 22
            padding: 3
            onClicked: builder.cancel()
        }
        Item { Layout.fillWidth: true }
        Label {
            objectName: "apiStatus"
            visible: apiServer.running
            color: theme.mutedText
            font.pixelSize: 12
            text: apiServer.busy ? qsTr("API %1 · answering, %2 waiting").arg(apiServer.url).arg(apiServer.waiting)
                                 : qsTr("API %1").arg(apiServer.url)
        }
        Label {
            objectName: "backendStatus"
            // On the CPU, say why: a person expecting their GPU to work wants to know.
            readonly property string cpuWhy: appSettings.device === "cpu" ? qsTr("chosen in Settings") : gpuNotice.cpuReason
            visible: engine.backend.length > 0
            color: theme.mutedText
            font.pixelSize: 12
            text: engine.backend.startsWith("CPU") && cpuWhy.length > 0 ? qsTr("%1 (%2)").arg(engine.backend).arg(cpuWhy)
                                                                        : engine.backend
        }
        Label {
            objectName: "contextUse"
            visible: engine.contextLength > 0
            color: theme.mutedText
            font.pixelSize: 12
            // The open conversation's, not whichever the engine last read.
            text: (chat.contextUsed >= 0 ? qsTr("Context %1 / %2 tokens").arg(chat.contextUsed).arg(engine.contextLength)
                                         : qsTr("Context %1 tokens").arg(engine.contextLength))
                  + (engine.contextWarning.length > 0 ? qsTr(" (reduced to fit memory)") : "")
            readonly property string reducedBecause: engine.contextWarning
            ToolTip.visible: reducedBecause.length > 0 && contextHover.hovered
            ToolTip.text: reducedBecause
            HoverHandler { id: contextHover }
        }
    }
}
